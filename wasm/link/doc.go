// Package link names the client's connection to the server as the game
// logic sees it: the phase it is in (State) and what it delivers (Event).
// It holds no network code, so the session and the game can speak of the
// connection without importing the WebSocket that package conn keeps.
//
// Entry points: State (Connecting, Connected, Reconnecting, Failed, with
// String) and Event (a state change or one received frame).
//
// Plain values, safe to copy between goroutines; an Event's Frame belongs
// to whoever receives the Event.
package link

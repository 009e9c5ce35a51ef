// Package wsframe wraps payloads in RFC 6455 server frame headers, so that
// a frame every client receives is encoded once and written as is.
//
// Every server-to-client message is the same bytes for every client: a
// WebSocket frame from a server is never masked (RFC 6455 §5.1). So the hub
// wraps each protocol frame in its header once (Append), and the transport
// writes the result straight to the socket with one write, instead of
// passing it through a WebSocket library's per-message path (coder/websocket's
// write mutex, header and buffer copy were about 15 % of the server's CPU
// under fan-out). Payload returns what a wire frame carries; Next splits a
// buffer holding several frames (the hub writes a Delta and the Stats
// riding on it as one buffer). ReadHeader reads a server frame's header
// from a stream, for clients that speak WebSocket by hand (the server's
// raw-socket tests, the load generator). AppendMasked makes client frames
// for the same.
//
// Both server/hub (which encodes) and server/wsconn (which writes) import
// this package; it imports only the standard library.
package wsframe

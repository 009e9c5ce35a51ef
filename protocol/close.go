package protocol

import "fmt"

// CloseCode is a WebSocket close status the server uses to end a connection.
// Codes 4000–4999 are reserved by RFC 6455 for applications.
type CloseCode uint16

// Close codes. Reconnect says which ones a client should retry after (with
// jittered exponential backoff); the rest mean retrying cannot help.
const (
	CloseNormal       CloseCode = 1000 // client went away on purpose
	CloseGoingAway    CloseCode = 1001 // server shutting down or restarting: reconnect
	CloseProtocol     CloseCode = 4000 // malformed or unexpected frame: a client bug, do not reconnect blindly
	CloseTooSlow      CloseCode = 4001 // could not keep up even after resyncs: reconnect
	CloseIdle         CloseCode = 4002 // no pong or no traffic for too long: reconnect
	CloseTooMany      CloseCode = 4003 // connection cap for the address or server: reconnect later
	CloseVersion      CloseCode = 4004 // protocol version mismatch: reload the client
	CloseOverloaded   CloseCode = 4005 // server shedding load: reconnect later
	CloseAbuse        CloseCode = 4006 // kept sending after rejects: reconnect later
	CloseInternal     CloseCode = 4007 // server fault: reconnect
	CloseRevoked      CloseCode = 4008 // the bot token the connection used was revoked: do not reconnect with it
	CloseMessageLimit CloseCode = 1009 // message larger than the read limit (RFC 6455)
	CloseFraming      CloseCode = 1002 // broke WebSocket framing (RFC 6455): unmasked frame, bad length or control frame
)

func (c CloseCode) String() string {
	switch c {
	case CloseNormal:
		return "normal"
	case CloseGoingAway:
		return "going_away"
	case CloseProtocol:
		return "protocol_error"
	case CloseTooSlow:
		return "too_slow"
	case CloseIdle:
		return "idle"
	case CloseTooMany:
		return "too_many_connections"
	case CloseVersion:
		return "version"
	case CloseOverloaded:
		return "overloaded"
	case CloseAbuse:
		return "abuse"
	case CloseInternal:
		return "internal"
	case CloseRevoked:
		return "revoked"
	case CloseMessageLimit:
		return "message_too_big"
	case CloseFraming:
		return "websocket_protocol_error"
	}
	return fmt.Sprintf("CloseCode(%d)", uint16(c))
}

// Reconnect reports whether a client should reconnect after this close.
func (c CloseCode) Reconnect() bool {
	switch c {
	case CloseProtocol, CloseVersion, CloseNormal, CloseMessageLimit, CloseFraming, CloseRevoked:
		return false
	}
	return true
}

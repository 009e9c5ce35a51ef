package admin

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"
)

// AuditFile is the audit log's file in the data directory.
const AuditFile = "audit.log"

// Entry is one line of the audit log (JSON, one object a line; doc.go):
// who did what, when, to how many boxes.
type Entry struct {
	Time   time.Time `json:"time"`
	Who    string    `json:"who"`              // the X-Checkgrid-Operator name, if sent, and the remote address
	Action string    `json:"action"`           // fill, clear, rollback, freeze, unfreeze, …
	Area   string    `json:"area,omitempty"`   // x,y,w,h
	Boxes  int       `json:"boxes"`            // boxes flipped (or frozen, for a freeze)
	Seq    uint64    `json:"seq,omitempty"`    // the seq by which a change is published
	Detail string    `json:"detail,omitempty"` // the action's arguments, e.g. the seq rolled back to
	Error  string    `json:"error,omitempty"`  // why the action failed, if it did
}

// Audit appends entries to the audit log, each made durable (fsync)
// before the action's answer: an action the operator was told about is
// in the log.
type Audit struct {
	mu sync.Mutex
	f  *os.File
}

// OpenAudit opens (creating, mode 0600) the audit log at path for
// appending.
func OpenAudit(path string) (*Audit, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("admin: opening audit log: %w", err)
	}
	return &Audit{f: f}, nil
}

// Record appends e as one line and syncs it.
func (a *Audit) Record(e Entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("admin: audit entry: %w", err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, err := a.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("admin: writing audit log: %w", err)
	}
	if err := a.f.Sync(); err != nil {
		return fmt.Errorf("admin: syncing audit log: %w", err)
	}
	return nil
}

// Close closes the file.
func (a *Audit) Close() error { return a.f.Close() }

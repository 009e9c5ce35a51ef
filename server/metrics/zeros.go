package metrics

// zeros creates the label values dashboards and alerts (deploy/) select
// at zero, so each series exists from the first scrape: rate() over a
// series that appears only with its first event misses that event, and a
// rule on a missing series can neither fire nor be checked.
func (m *Metrics) zeros() {
	for _, v := range []string{"rate", "address_rate", "storage", "overload", "frozen", "banned"} {
		m.Rejects.WithLabelValues(v)
	}
	for _, v := range []string{"lagging", "requested", "storage"} {
		m.Resyncs.WithLabelValues(v)
	}
	for _, v := range []string{"outbox_full_delta", "stalled"} {
		m.Drops.WithLabelValues(v)
	}
	for _, v := range []string{"address_cap", "total_cap", "join_rate", "handshake", "bot_token"} {
		m.Refused.WithLabelValues(v)
	}
	for _, v := range []string{"going_away", "too_slow", "idle", "abuse", "internal", "overloaded", "protocol_error", "revoked"} {
		m.Disconnects.WithLabelValues(v)
	}
	for _, v := range []string{"fill", "clear", "rollback", "freeze", "unfreeze", "ban", "unban", "announce", "unannounce", "bot_issue", "bot_revoke"} {
		m.AdminActions.WithLabelValues(v)
	}
	for _, v := range []string{"short", "trailing", "type", "count", "index", "param", "field", "order", "other"} {
		m.BadFrames.WithLabelValues(v)
	}
}

package board

import "checkgrid/protocol"

// ErrGap means a Delta or AreaDelta was not applied because it does not
// follow the last frame the board applied, arrived while it waits for a
// snapshot, or named a box outside its area (protocol.ErrGap). The caller
// answers it with a resync.
var ErrGap = protocol.ErrGap

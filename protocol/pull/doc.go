// Package pull implements the pull side of the pipeline pattern: a pull
// socket receives the messages its push peers send it, fairly from each. When
// its receive queue (sp.RecvQueueLen) is full it stops reading, which pushes
// back on the pushers. A pull socket cannot send.
//
// Protocol id 0x51 (pull); peer push, 0x50. No SP header on the wire.
//
// Shutdown: a pull socket sends nothing; Shutdown ends its connections
// for writing and waits for its pushers to close theirs, receiving meanwhile
// (without pushing back any more: what finds the receive queue full is
// dropped). Messages left in its receive queue are discarded by the close:
// Recv them first.
package pull

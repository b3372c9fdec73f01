// Package push implements the push side of the pipeline pattern: a push
// socket hands each message to one of its pull peers, round-robin among the
// pullers whose queues have room. Send blocks while no puller has room (or
// there is no puller), until its context ends or sp.SendTimeout passes.
// A push socket cannot receive.
//
// Protocol id 0x50 (push); peer pull, 0x51. No SP header on the wire.
//
// What can be lost: a message is "delivered" when it is queued for a pipe;
// if that puller vanishes, the messages in its queue, and those in flight in
// the kernel, are lost. Pipeline is not a reliable queue.
//
// Shutdown: every message Send accepted reaches a puller that stays
// connected, in order for each puller: Shutdown writes out each puller's
// queue, ends the connection for writing and waits until the puller has read
// it all. A Send waiting for room when Shutdown begins fails with an error
// wrapping sp.ErrClosed: its message was not accepted. What was queued for a
// puller that leaves meanwhile is dropped, and counted in the
// *sp.ShutdownError.
package push

// Package pair implements pair v0: a socket with exactly one peer, to which
// it sends and from which it receives. A second peer that connects while the
// first is there is refused (its connection is closed). Send blocks while the
// peer's queue is full or there is no peer, until its context ends or
// sp.SendTimeout passes.
//
// Protocol id 0x10 (pair); peer pair, 0x10. No SP header on the wire.
//
// Shutdown: every message Send accepted reaches the peer, if it stays
// connected. The socket goes on receiving until the close; what it received
// and nobody took with Recv is discarded then.
package pair

// Package pair1 implements pair v1 (nng's pair1): a socket that talks both
// ways with its peer, in one of two modes.
//
// Monogamous (the default, NewSocket): one peer at a time. A second peer
// that connects while the first is there is refused (its connection is
// closed). Send blocks while there is no peer or its queue
// (sp.SendQueueLen) is full, until its context ends or sp.SendTimeout
// passes.
//
// Polyamorous (NewPolySocket, or the Polyamorous option set before the
// first Dial or Listen): many peers at once. A received message's Pipe
// tells which peer sent it; a message whose Pipe is set (Message.SetPipe,
// or a received message sent back) goes to that peer only, waiting for room
// in its queue, and is dropped without error if that peer has gone. A
// message without a pipe, or with a pipe of another socket, goes to the
// oldest connected peer, waiting for one as in monogamous mode. (nng 1.5
// also sends it to the first peer of its list, but drops it when that
// peer's queue is full or there is no peer.)
//
// Protocol id 0x11 (pair1); peer pair1, 0x11. Wire header: 4 bytes, the
// big-endian hop count, whose upper 24 bits are zero. The sender writes the
// number of hops the message has made, this one included: a cooked socket
// sends 1, a raw socket the count in Header plus one, so a device counts as
// a hop. The receiver does not change it (checked against nngcat --pair1,
// nng 1.5.2: it sends 1, accepts up to 8, drops 9). On receipt, a message
// shorter than 4 bytes or whose count is over 0xff closes the pipe; one whose
// count is over sp.MaxTTL (default 8) is dropped, and a raw socket drops on
// Send a message that would arrive over it. Cooked sockets strip the header;
// raw sockets (NewRawSocket) keep it in Message.Header as received, and on
// Send take a 4-byte Header (an empty one counts as 0 hops; another size, or
// a count over 0xff, fails with an error wrapping sp.ErrMalformed).
//
// What can be lost: messages over sp.MaxTTL hops; in polyamorous mode,
// messages for a peer that has gone; and, as with every protocol, messages
// queued for a peer when it disconnects. Received messages wait in the
// receive queue (sp.RecvQueueLen); when it is full, the peers are pushed
// back on.
//
//	s, _ := pair1.NewPolySocket()
//	defer s.Close()
//	s.Listen("tcp://*:5560")
//	for {
//		m, err := s.RecvMsg(ctx)
//		if err != nil {
//			return err
//		}
//		m.Body = append(m.Body, " (echoed)"...)
//		s.SendMsg(ctx, m) // back to the peer it came from
//	}
//
// Shutdown: every message Send accepted reaches its peer (the oldest,
// or in poly mode the one addressed), if it stays connected. The socket goes
// on receiving until the close; what it received and nobody took with Recv is
// discarded then.
package pair1

// Package star implements mangos' experimental star protocol: a bus whose
// members also forward. Every message a member sends goes to all its peers
// (but the pipe a message came from, when a received message is sent on),
// and every member that receives a message both delivers it to its
// application and forwards it to all its other peers. So in any tree of
// members (a hub with leaves, hubs joined to hubs) each message reaches every
// other member exactly once. A topology with a cycle delivers duplicates,
// until the hop limit ends them: connect star members as a tree.
//
// Protocol id 0x640 (star, mangos' 100<<4); peer star, 0x640. Wire header:
// 4 bytes, the big-endian hop count, upper 24 bits zero, as in pair v1: the
// sender writes the number of hops the message has made, this one included
// (the member that originates it sends 1, a member that forwards a count of
// h sends h+1). On receipt, a message shorter than 4 bytes or whose count
// is over 0xff closes the pipe; one whose count is over sp.MaxTTL (default
// 8) is dropped, neither delivered nor forwarded, and a member does not
// forward what its peers would drop. (mangos counts differently, as checked
// against macat in test/interop: its originator sends 0, and a mangos member
// drops a count of 8 or more; so a message crosses one hop more through sp
// members, and one that sp sends on with a count of 8 stops at a mangos one.)
//
// Raw sockets (NewRawSocket) do not forward: Recv leaves the hop count in
// Message.Header, and Send takes it from there (an empty Header counts as
// 0 hops; another size, or a count over 0xff, fails with an error wrapping
// sp.ErrMalformed), adds one and sends to every peer but the one the
// message came from. sp.Device(ctx, s, nil) with a raw star socket is thus
// a hub that forwards without an application of its own.
//
// What can be lost: Send and forwarding never block. A peer whose queue
// (sp.SendQueueLen) is full loses the message; a member whose receive queue
// (sp.RecvQueueLen) is full loses what arrives (it still forwards it); a
// message sent while there is no peer is lost; so are messages over
// sp.MaxTTL hops.
//
//	hub, _ := star.NewSocket()
//	defer hub.Close()
//	hub.Listen("tcp://*:5580")
//	// on each leaf:
//	leaf, _ := star.NewSocket()
//	leaf.Dial("tcp://hub:5580")
//	leaf.Send(ctx, []byte("hello")) // the hub and every other leaf get it
//
// Shutdown: each message Send accepted is written out to the peers
// whose queues had room for it, if they stay connected. Once Shutdown begins
// the socket forwards nothing more; it goes on receiving until the close.
package star

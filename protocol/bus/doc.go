// Package bus implements the bus pattern: every member of a bus sends to,
// and receives from, all the members it is connected to. A message sent
// goes to every peer, except the one it was received from when it is a
// received message sent on (Message.Pipe): a raw bus socket in a device
// (sp.Device(ctx, s, nil)) thus passes each message to every other member
// and never echoes it to its sender. Clear the pipe with m.SetPipe(nil) to
// send a received message to every peer. A bus member does not forward what
// it receives by itself: connect the members in a full mesh, or through such
// a device (or use package star, which forwards).
//
// Protocol id 0x70 (bus); peer bus, 0x70. No SP header on the wire (a
// Header set on a message to send is not sent).
//
// What can be lost: Send never blocks. A peer whose queue (sp.SendQueueLen)
// is full loses the message, and the sender and the other peers go on at
// their own pace; a message sent while there is no peer is lost. The message
// is shared, not copied, among the peers. A member whose receive queue
// (sp.RecvQueueLen) is full loses what arrives until it makes room.
//
//	s, _ := bus.NewSocket()
//	defer s.Close()
//	s.Listen("tcp://*:5570")
//	s.Dial("tcp://10.0.0.2:5570")
//	s.Send(ctx, []byte("hello, everyone"))
//	b, err := s.Recv(ctx) // from any member
//
// Shutdown: each message Send accepted is written out to the peers
// whose queues had room for it, if they stay connected; those it was dropped
// for stay without it. The socket goes on receiving until the close.
package bus

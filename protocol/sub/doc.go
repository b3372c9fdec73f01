// Package sub implements the subscriber side of the publish/subscribe
// pattern: a sub socket receives, from all its pub peers, the messages whose
// body starts with one of its topics (Subscribe, with a string or a
// []byte; an empty topic matches all). It has no topic at first, and receives nothing until it subscribes.
// When its receive queue (sp.RecvQueueLen) is full, new messages are
// dropped (counted in Stats().Drops.QueueFull). Size the queue for the
// bursts expected, not for the average rate: a link that stalls (TCP
// backing off its retransmits under loss, say) delivers what it held all at
// once, and the socket queues a burst faster than even a consumer looping
// on Recv takes it. A sub socket cannot send.
//
// Contexts: OpenContext returns a context with its own topics (Subscribe
// and Unsubscribe on the context) and its own receive queue, so
// that several consumers each see the messages they asked for. A message
// that several contexts want is shared among them, not copied.
//
// Protocol id 0x21 (sub); peer pub, 0x20. No SP header on the wire; topics
// are matched on this side, by byte prefix.
//
//	s, err := sub.NewSocket()
//	if err != nil { ... }
//	defer s.Close()
//	if err := sub.Subscribe(s, "weather."); err != nil { ... }
//	if err := s.Dial("tcp://127.0.0.1:5556"); err != nil { ... }
//	b, err := s.Recv(ctx)
//
// The slow joiner: a publisher sends nothing to a subscriber whose pipe
// has not joined yet. A subscription is local to the sub socket in SP (the
// publisher never learns the topics), so the pipe being up is all that
// matters: the publisher waits for its subscribers with WaitPeers before it
// publishes (see package pub), or the subscriber calls WaitPeers(ctx, 1)
// before it tells the publisher to go. Subscribe before the messages arrive:
// what comes before is filtered out.
//
// Shutdown: a sub socket sends nothing; Shutdown ends its connections for
// writing and waits for its publishers to close theirs, receiving meanwhile.
// Messages left in its receive queues are discarded by the close.
package sub

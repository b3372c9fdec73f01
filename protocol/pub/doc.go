// Package pub implements the publisher side of the publish/subscribe
// pattern: every message sent goes to every sub peer (each filters by topic
// on its own side). Send never blocks: a subscriber whose queue
// (sp.SendQueueLen) is full loses that message, and the publisher and the
// other subscribers go on at their own pace. The message is shared, not
// copied, among the subscribers. A pub socket cannot receive.
//
// Protocol id 0x20 (pub); peer sub, 0x21. No SP header on the wire.
//
//	s, _ := pub.NewSocket()
//	defer s.Close()
//	s.Listen("tcp://*:5556")
//	s.Send(ctx, []byte("weather.paris 21C"))
//
// Shutdown: the messages queued for each subscriber are written out to
// it and reach its socket, if it stays connected (there, a sub whose receive
// queue is full drops them, as it would at any time). Shutdown does not change
// the rule that a subscriber whose queue is full loses messages: those
// dropped before stay dropped.
//
// The slow joiner: a message published before a subscriber's pipe has joined
// is not sent to it. A publisher that knows how many subscribers to expect
// waits for them with WaitPeers before it publishes:
//
//	if err := s.WaitPeers(ctx, 3); err != nil { // 3 subscribers
//		return err
//	}
//	s.Send(ctx, []byte("weather.paris 21C")) // each of them gets it
//
// The pipe being up is enough: a subscription is local to the sub socket in
// SP (topics are matched on its side and never sent to the publisher), so a
// subscriber that subscribed before the messages arrive gets them, whether it
// subscribed before or after its pipe joined.
package pub

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
package pub

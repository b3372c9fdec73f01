package sub

import "github.com/spgo/sp"

// Topic is what a topic may be given as: a string or a byte slice.
type Topic interface{ ~string | ~[]byte }

// Subscribe adds topic to s, a sub socket or a context of one: it then
// receives the messages whose body starts with topic. An empty topic
// matches every message; a new socket or context has no topic and receives
// nothing. Subscribing twice to one topic is the same as once.
//
//	sub.Subscribe(s, "weather.")
func Subscribe[T Topic](s sp.OptionSetter, topic T) error {
	return sp.SetOption(s, SubscribeOption, []byte(topic))
}

// Unsubscribe removes a topic added by Subscribe from s, a sub socket or a
// context of one. Removing a topic that was never added fails with an error
// wrapping sp.ErrBadOption.
func Unsubscribe[T Topic](s sp.OptionSetter, topic T) error {
	return sp.SetOption(s, UnsubscribeOption, []byte(topic))
}

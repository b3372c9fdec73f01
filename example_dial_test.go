package sp_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/pull"
	"github.com/spgo/sp/protocol/push"
)

// DialContext returns once the pipe is up, or with the reason it could not
// be: here a refused connection, once the listener is gone.
func ExampleSocket_DialContext() {
	rx, _ := pull.NewSocket()
	defer rx.Close()
	l, err := rx.Listen("tcp://127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	tx, _ := push.NewSocket()
	defer tx.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tx.DialContext(ctx, l.URL()); err != nil {
		fmt.Println(err)
		return
	}
	_ = tx.Send(ctx, []byte("hello")) // the pipe is up: no message waits for a peer
	b, _ := rx.Recv(ctx)
	fmt.Println(string(b))

	l.Close()
	err = tx.DialContext(ctx, l.URL())
	fmt.Println(errors.Is(err, sp.ErrConnRefused))
	// Output:
	// hello
	// true
}

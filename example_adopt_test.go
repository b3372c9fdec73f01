package sp_test

import (
	"context"
	"fmt"
	"log"
	"net"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/protocol/req"
)

// Serve SP on a listener the application made itself, such as one of
// sp.ActivationListeners under systemd; here, a TCP listener on a port the
// system chose.
func ExampleSocket_ListenOn() {
	ctx := context.Background()
	nl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}

	server, err := rep.NewSocket()
	if err != nil {
		log.Fatal(err)
	}
	defer server.Close() // closes nl too
	l, err := server.ListenOn(nl)
	if err != nil {
		log.Fatal(err)
	}
	go rep.Serve(ctx, server, func(_ context.Context, q []byte) ([]byte, error) {
		return append([]byte("pong to "), q...), nil
	})

	client, err := req.NewSocket()
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	if err := client.Dial(l.URL(), sp.WithDialSync()); err != nil {
		log.Fatal(err)
	}
	reply, err := req.Request(ctx, client, []byte("ping"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(reply))
	// Output: pong to ping
}

// Make pipes of the two ends of an existing connection: here an
// in-memory net.Pipe; as well one end of a socketpair (whose other end an
// nng program opens with socket://), an SSH channel or a proxied
// connection. Each side's AddConn returns once the handshake is done, so
// the two run at once.
func ExampleSocket_AddConn() {
	ctx := context.Background()
	server, err := rep.NewSocket()
	if err != nil {
		log.Fatal(err)
	}
	defer server.Close()
	client, err := req.NewSocket()
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	a, b := net.Pipe()
	added := make(chan error, 1)
	go func() {
		_, err := server.AddConn(a)
		added <- err
	}()
	if _, err := client.AddConn(b); err != nil {
		log.Fatal(err)
	}
	if err := <-added; err != nil {
		log.Fatal(err)
	}

	go rep.Serve(ctx, server, func(_ context.Context, q []byte) ([]byte, error) {
		return append([]byte("pong to "), q...), nil
	})
	reply, err := req.Request(ctx, client, []byte("ping"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(reply))
	st := server.Stats()
	fmt.Println(st.Endpoints[0].URL, st.Endpoints[0].Pipes)
	// Output:
	// pong to ping
	// socket:// 1
}

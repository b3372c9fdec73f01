package ws_test

import (
	"fmt"
	"net"
	"testing"

	"github.com/spgo/sp"
	"github.com/spgo/sp/transport/transporttest"
)

// freedPort returns a ws URL on a loopback port that was just closed.
func freedPort(scheme string) func(t testing.TB) string {
	return func(t testing.TB) string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return fmt.Sprintf("%s://%s/refused", scheme, l.Addr())
	}
}

func conformance(t *testing.T, scheme string, lopts, dopts []sp.EndpointOption) transporttest.Config {
	return transporttest.Config{
		Addr:          func(testing.TB) string { return scheme + "://127.0.0.1:0/conformance" },
		DialAddr:      transporttest.BoundTCP,
		ListenOptions: func(testing.TB) []sp.EndpointOption { return lopts },
		DialOptions:   func(testing.TB) []sp.EndpointOption { return dopts },
		Refused:       freedPort(scheme),
		BadURLs: []transporttest.BadURL{
			{URL: scheme + "://127.0.0.1:99999/", Reason: "port"},
			{URL: scheme + "://127.0.0.1:5555/x#frag", Reason: "fragment"},
			{URL: scheme + "://user@127.0.0.1:5555/", Reason: "user"},
			{URL: scheme + "://:5555/", Reason: "host", DialOnly: true},
		},
	}
}

// TestConformance runs the transport conformance suite over ws and wss.
func TestConformance(t *testing.T) {
	srv, cli := tlsConfigs(t)
	t.Run("ws", func(t *testing.T) { transporttest.Run(t, conformance(t, "ws", nil, nil)) })
	t.Run("wss", func(t *testing.T) {
		transporttest.Run(t, conformance(t, "wss",
			[]sp.EndpointOption{sp.With(sp.TLSConfig, srv)}, []sp.EndpointOption{sp.With(sp.TLSConfig, cli)}))
	})
	t.Run("ws-any-host", func(t *testing.T) {
		c := conformance(t, "ws", nil, nil)
		c.Addr = func(testing.TB) string { return "ws://*:0/" }
		transporttest.Exchange(t, c)
	})
}

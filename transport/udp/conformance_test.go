package udp_test

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/leaktest"
	"github.com/spgo/sp/protocol/pair"
	"github.com/spgo/sp/transport/transporttest"
	"github.com/spgo/sp/transport/udp"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

// boundUDP turns a listener's URL and bound *net.UDPAddr into the URL to
// dial (a wildcard host becomes the loopback address of its family).
func boundUDP(listenURL string, bound net.Addr) string {
	ua, ok := bound.(*net.UDPAddr)
	if !ok {
		return listenURL
	}
	scheme, _, _ := strings.Cut(listenURL, "://")
	ip := ua.IP
	if ip == nil || ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
		if scheme == "udp6" {
			ip = net.IPv6loopback
		}
	}
	return scheme + "://" + net.JoinHostPort(ip.String(), strconv.Itoa(ua.Port))
}

// freedPort returns a loopback UDP port nobody listens on a moment ago.
func freedPort(t testing.TB) string {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := pc.LocalAddr().String()
	pc.Close()
	return "udp://" + a
}

func fast(testing.TB) []sp.EndpointOption {
	return []sp.EndpointOption{sp.With(udp.ConnRetry, 20*time.Millisecond)}
}

func config(addr string) transporttest.Config {
	return transporttest.Config{
		Addr:          func(testing.TB) string { return addr },
		DialAddr:      boundUDP,
		ListenOptions: fast,
		DialOptions:   fast,
		Refused:       freedPort,
		Datagram:      &transporttest.Datagram{MaxMessage: 65000},
		BadURLs: []transporttest.BadURL{
			{URL: "udp://127.0.0.1:99999", Reason: "port"},
			{URL: "udp://127.0.0.1", Reason: "missing port"},
			{URL: "udp://127.0.0.1:5555/path", Reason: "no path"},
			{URL: "udp://127.0.0.1:5555?x=1", Reason: "no path"},
			{URL: "udp7://127.0.0.1:5555", Reason: ""},
			{URL: "udp://*:5555", Reason: "needs a host", DialOnly: true},
			{URL: "udp://127.0.0.1:0", Reason: "non-zero port", DialOnly: true},
		},
	}
}

func TestConformance(t *testing.T) {
	transporttest.Run(t, config("udp://127.0.0.1:0"))
}

// TestExchangeForms checks the other address forms once the main one
// passes.
func TestExchangeForms(t *testing.T) {
	for _, addr := range []string{"udp://*:0", "udp://:0", "udp4://127.0.0.1:0", "udp6://[::1]:0", "udp://127.0.0.1:0/"} {
		t.Run(addr, func(t *testing.T) {
			if addr == "udp6://[::1]:0" {
				if pc, err := net.ListenPacket("udp6", "[::1]:0"); err != nil {
					t.Skipf("no IPv6 loopback: %v", err)
				} else {
					pc.Close()
				}
			}
			transporttest.Exchange(t, config(addr))
		})
	}
}

// TestDialLocalhost dials a name, which resolves to IPv4 first.
func TestDialLocalhost(t *testing.T) {
	l, d := newSock(t, pair.NewSocket), newSock(t, pair.NewSocket)
	ln, err := l.Listen("udp://127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.UDPAddr).Port
	require.NoError(t, d.Dial("udp://localhost:"+strconv.Itoa(port), fastDial()...))
	require.NoError(t, d.Send(wctx(t), []byte("hi")))
	got, err := l.Recv(wctx(t))
	require.NoError(t, err)
	require.Equal(t, "hi", string(got), "received %q, want %q", got, "hi")
}

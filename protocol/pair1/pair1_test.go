package pair1_test

import (
	"context"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
	"github.com/spgo/sp/internal/wire"
	"github.com/spgo/sp/protocol/pair1"
	"github.com/stretchr/testify/require"
)

type ctor = func() (sp.Socket, error)

// Both ends send at once; each receives the other's messages in order. A raw
// receiver sees the hop count the sender wrote: 1.
func TestPair1Exchange(t *testing.T) {
	cases := []struct {
		name       string
		newA, newB ctor
		rawA, rawB bool
	}{
		{"cooked", pair1.NewSocket, pair1.NewSocket, false, false},
		{"poly-cooked", pair1.NewPolySocket, pair1.NewSocket, false, false},
		{"cooked-poly", pair1.NewSocket, pair1.NewPolySocket, false, false},
		{"raw", pair1.NewRawSocket, pair1.NewRawSocket, true, true},
		{"raw-cooked", pair1.NewRawSocket, pair1.NewSocket, true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
				a, b := sptest.Pair(t, tr, tc.newA, tc.newB)
				for _, x := range []struct {
					s   sp.Socket
					raw bool
				}{{a, tc.rawA}, {b, tc.rawB}} {
					raw, err := sp.GetOption(x.s, sp.Raw)
					require.NoError(t, err)
					require.Equal(t, x.raw, raw, "sp.Raw: got %v, want %v", raw, x.raw)
				}
				ctx := sptest.Ctx(t)
				const n = 50
				errs := make(chan error, 2)
				go func() { errs <- sendAll(a, msgs("a", n)) }()
				go func() { errs <- sendAll(b, msgs("b", n)) }()
				for _, x := range []struct {
					s    sp.Socket
					raw  bool
					want []string
				}{{b, tc.rawB, msgs("a", n)}, {a, tc.rawA, msgs("b", n)}} {
					for _, want := range x.want {
						m, err := x.s.RecvMsg(ctx)
						require.NoError(t, err, "RecvMsg, want %q", want)
						require.Equal(t, want, string(m.Body), "got %q, want %q", m.Body, want)
						wantHdr := []byte{}
						if x.raw {
							wantHdr = []byte{0, 0, 0, 1}
						}
						require.Equal(t, string(wantHdr), string(m.Header), "Header: got % x, want % x", m.Header, wantHdr)
						require.NotNil(t, m.Pipe(), "a received message knows its pipe")
					}
				}
				require.NoError(t, <-errs)
				require.NoError(t, <-errs)
			})
		})
	}
}

func sendAll(s sp.Socket, bodies []string) error {
	for _, b := range bodies {
		if err := s.Send(context.Background(), []byte(b)); err != nil {
			return err
		}
	}
	return nil
}

// A raw sender increments the hop count in Header; the receiver drops a
// message whose count is over its sp.MaxTTL, and a raw sender drops one that
// would arrive over its own.
func TestPair1RawHops(t *testing.T) {
	cases := []struct {
		name    string
		header  []byte
		recvTTL int    // 0: default
		want    []byte // header the raw receiver sees; nil: dropped
		wantErr error
	}{
		{"empty header counts 0", nil, 0, []byte{0, 0, 0, 1}, nil},
		{"0 becomes 1", wire.AppendUint32(nil, 0), 0, []byte{0, 0, 0, 1}, nil},
		{"3 becomes 4", wire.AppendUint32(nil, 3), 0, []byte{0, 0, 0, 4}, nil},
		{"7 becomes 8, the default max", wire.AppendUint32(nil, 7), 0, []byte{0, 0, 0, 8}, nil},
		{"8 would be 9: dropped by the sender", wire.AppendUint32(nil, 8), 0, nil, nil},
		{"2 becomes 3, over the receiver's max 2", wire.AppendUint32(nil, 2), 2, nil, nil},
		{"1 becomes 2, the receiver's max", wire.AppendUint32(nil, 1), 2, []byte{0, 0, 0, 2}, nil},
		{"3-byte header", []byte{0, 0, 1}, 0, nil, sp.ErrMalformed},
		{"8-byte header", make([]byte, 8), 0, nil, sp.ErrMalformed},
		{"count over 0xff", wire.AppendUint32(nil, 0x100), 0, nil, sp.ErrMalformed},
	}
	sptest.Transports(t, func(t *testing.T, tr sptest.Transport) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				a, b := sptest.Pair(t, tr, pair1.NewRawSocket, pair1.NewRawSocket)
				if tc.recvTTL != 0 {
					require.NoError(t, sp.SetOption(b, sp.MaxTTL, tc.recvTTL))
				}
				ctx := sptest.Ctx(t)
				m := sp.NewMessage(4)
				m.Header = append(m.Header, tc.header...)
				m.Body = append(m.Body, "case"...)
				err := a.SendMsg(ctx, m)
				if tc.wantErr != nil {
					require.ErrorIs(t, err, tc.wantErr, "SendMsg: got %v, want %v", err, tc.wantErr)
				} else {
					require.NoError(t, err)
				}
				// A marker behind it, on the same pipe, shows whether it came.
				require.NoError(t, a.Send(ctx, []byte("marker")))
				got, err := b.RecvMsg(ctx)
				require.NoError(t, err)
				if tc.want == nil {
					require.Equal(t, "marker", string(got.Body), "got %q, want it dropped", got.Body)
					return
				}
				require.Equal(t, "case", string(got.Body), "got %q, want %q", got.Body, "case")
				require.Equal(t, tc.want, got.Header, "Header: got % x, want % x", got.Header, tc.want)
				got, err = b.RecvMsg(ctx)
				require.NoError(t, err)
				require.Equal(t, "marker", string(got.Body))
			})
		}
	})
}

// A polyamorous socket's Send with no peer waits for one, as a monogamous
// one's does (see TestConformance): it gives up after sp.SendTimeout, and
// Close wakes it.
func TestPair1PolySendWithoutPeer(t *testing.T) {
	s := sptest.New(t, pair1.NewPolySocket)
	require.NoError(t, sp.SetOption(s, sp.SendTimeout, 20*time.Millisecond))
	err := s.Send(sptest.Ctx(t), []byte("x"))
	require.ErrorIs(t, err, sp.ErrTimeout, "Send with no peer: got %v, want ErrTimeout", err)
	sptest.CloseUnblocks(t, pair1.NewPolySocket, func(s sp.Socket) error { return s.Send(context.Background(), []byte("x")) })
}

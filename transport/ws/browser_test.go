package ws_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
	"github.com/spgo/sp/protocol/pub"
	"github.com/spgo/sp/protocol/rep"
	"github.com/spgo/sp/transport/ws"
)

const chromium = "/usr/bin/chromium"

// browserPage is the page Chromium loads from the test's server. It does
// req/rep against the sp rep socket at /rep (building the SP header itself:
// a 4-byte request id with the top bit set, which the reply carries back)
// and sub against the sp pub socket at /pub, then posts what it saw to
// /result as JSON.
const browserPage = `<!DOCTYPE html>
<html><body><script>
function open(path, proto) {
  return new Promise((resolve, reject) => {
    const s = new WebSocket("ws://" + location.host + path, proto);
    s.binaryType = "arraybuffer";
    s.queue = []; s.waiting = [];
    s.onmessage = e => s.waiting.length ? s.waiting.shift()(e.data) : s.queue.push(e.data);
    s.onopen = () => resolve(s);
    s.onerror = () => reject(new Error("cannot open " + path));
  });
}
function next(s) {
  return s.queue.length ? Promise.resolve(s.queue.shift()) : new Promise(r => s.waiting.push(r));
}
function hex(u8) { return Array.from(u8, b => b.toString(16).padStart(2, "0")).join(""); }
async function run() {
  const out = {};
  const r = await open("/rep", "rep.sp.nanomsg.org");
  out.repProtocol = r.protocol;
  for (const [id, text] of [[0x80000001, "hello from chromium"], [0xdeadbeef, "x".repeat(200000)]]) {
    const body = new TextEncoder().encode(text);
    const msg = new Uint8Array(4 + body.length);
    new DataView(msg.buffer).setUint32(0, id);
    msg.set(body, 4);
    r.send(msg);
    const reply = new Uint8Array(await next(r));
    const got = new DataView(reply.buffer).getUint32(0);
    (out.replies = out.replies || []).push(got.toString(16) + " " +
      new TextDecoder().decode(reply.subarray(4, 40)) + " " + (reply.length - 4));
  }
  const s = await open("/pub", "pub.sp.nanomsg.org");
  out.subProtocol = s.protocol;
  await fetch("/subscribed", {method: "POST"});
  out.news = [];
  for (let i = 0; i < 3; i++) {
    const m = new Uint8Array(await next(s));
    out.news.push(m.length > 64 ? m.length + ":" + hex(m.subarray(0, 4)) + ".." + hex(m.subarray(m.length - 4)) : new TextDecoder().decode(m));
  }
  r.close(); s.close();
  return out;
}
run().catch(e => ({error: String(e)})).then(out =>
  fetch("/result", {method: "POST", body: JSON.stringify(out)}));
</script></body></html>`

// TestBrowser runs a page in headless Chromium whose WebSockets talk to sp
// rep and pub sockets mounted, with the page itself, on one ServeMux.
func TestBrowser(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		msg := fmt.Sprintf("%s not found (apt-get install chromium)", chromium)
		if os.Getenv("SP_INTEROP") == "require" {
			t.Fatalf("%s and SP_INTEROP=require", msg)
		}
		t.Skipf("%s, skipping; set SP_INTEROP=require to fail instead", msg)
	}
	results, subscribed := make(chan []byte, 1), make(chan struct{}, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, browserPage)
	})
	mux.HandleFunc("POST /subscribed", func(http.ResponseWriter, *http.Request) {
		select {
		case subscribed <- struct{}{}:
		default:
		}
	})
	mux.HandleFunc("POST /result", func(_ http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		select {
		case results <- b:
		default:
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: timeout}
	served := make(chan struct{})
	go func() { defer close(served); hs.Serve(ln) }()
	t.Cleanup(func() { hs.Close(); <-served })
	host := ln.Addr().String()

	// The rep answers "reply to: " + request; the browser reports the id
	// it got back, the start of the text and the length.
	r := newSocket(t, rep.NewSocket)
	listen(t, r, "ws://"+host+"/rep", sp.With(ws.ServeMux, mux), sp.With(sp.RecvMaxSize, 1<<20))
	var reqMu sync.Mutex
	var upgrade *http.Request
	repDone, rctx := make(chan error, 1), ctx(t)
	go func() {
		for range 2 {
			m, err := r.RecvMsg(rctx)
			if err != nil {
				repDone <- err
				return
			}
			reqMu.Lock()
			upgrade, _ = sp.GetOption(m.Pipe(), ws.Request)
			reqMu.Unlock()
			m.Body = append([]byte("reply to: "), m.Body...)
			if err := r.SendMsg(rctx, m); err != nil {
				repDone <- err
				return
			}
		}
		repDone <- nil
	}()
	p := newSocket(t, pub.NewSocket)
	listen(t, p, "ws://"+host+"/pub", sp.With(ws.ServeMux, mux))

	startChromium(t, "http://"+host+"/")

	select {
	case <-subscribed:
	case b := <-results:
		t.Fatalf("the page failed before subscribing: %s", b)
	case <-time.After(60 * time.Second):
		t.Fatal("the page did not subscribe within 60 s (is Chromium working?)")
	}
	big := make([]byte, 100<<10)
	for i := range big {
		big[i] = byte(i)
	}
	for _, m := range [][]byte{[]byte("news 1"), []byte("news 2"), big} {
		require.NoError(t, p.Send(ctx(t), m))
	}
	var got struct {
		Error                    string
		RepProtocol, SubProtocol string
		Replies, News            []string
	}
	select {
	case b := <-results:
		require.NoError(t, json.Unmarshal(b, &got), "%s", b)
	case <-time.After(30 * time.Second):
		t.Fatal("no result from the page within 30 s")
	}
	require.NoError(t, <-repDone)
	require.Empty(t, got.Error)
	require.Equal(t, "rep.sp.nanomsg.org", got.RepProtocol)
	require.Equal(t, "pub.sp.nanomsg.org", got.SubProtocol)
	require.Equal(t, []string{
		"80000001 reply to: hello from chromium 29",
		"deadbeef reply to: xxxxxxxxxxxxxxxxxxxxxxxxxx 200010",
	}, got.Replies)
	require.Equal(t, []string{"news 1", "news 2", "102400:00010203..fcfdfeff"}, got.News)
	reqMu.Lock()
	defer reqMu.Unlock()
	require.Equal(t, "http://"+host, upgrade.Header.Get("Origin"))
	require.Contains(t, upgrade.Header.Get("User-Agent"), "Chrome")
}

// startChromium runs headless Chromium on url in a fresh profile, in its own
// process group, killed (the whole group) when the test ends.
func startChromium(t *testing.T, url string) {
	profile := t.TempDir()
	var out bytes.Buffer
	cmd := exec.Command(chromium, "--headless", "--no-sandbox", "--disable-gpu",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--no-first-run", "--user-data-dir="+profile, url)
	cmd.Stdout, cmd.Stderr = &out, &out
	ownGroup(cmd)
	cmd.WaitDelay = 5 * time.Second
	require.NoError(t, cmd.Start())
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		killGroup(cmd)
		<-done
		if t.Failed() {
			t.Logf("chromium output:\n%s", strings.TrimSpace(out.String()))
		}
	})
}

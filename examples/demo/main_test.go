package main

import (
	"bytes"
	"testing"

	"github.com/spgo/sp/internal/leaktest"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

const want = `== tcp ==
req/rep   request "hello" -> reply "HELLO"
req/rep   request "world" -> reply "WORLD"
pub/sub   subscriber to "news." got "news.ready"
pub/sub   subscriber to "news." got "news.headline" (and no weather)
push/pull worker 0 got 2 of 4 tasks
push/pull worker 1 got 2 of 4 tasks
push/pull all done: task-0 task-1 task-2 task-3
pair      "ping" one way, "pong" the other
== ipc ==
req/rep   request "hello" -> reply "HELLO"
req/rep   request "world" -> reply "WORLD"
pub/sub   subscriber to "news." got "news.ready"
pub/sub   subscriber to "news." got "news.headline" (and no weather)
push/pull worker 0 got 2 of 4 tasks
push/pull worker 1 got 2 of 4 tasks
push/pull all done: task-0 task-1 task-2 task-3
pair      "ping" one way, "pong" the other
`

// TestDemo runs the demo the README points to and checks what it prints.
func TestDemo(t *testing.T) {
	var buf bytes.Buffer
	run(&buf)
	require.Equal(t, want, buf.String())
}

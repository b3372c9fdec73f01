package core

import (
	"fmt"
	"sync"

	"golang.org/x/sys/unix"
)

// canWatch reports whether the role watcher works here (see rolewatch.go).
const canWatch = true

var watcher struct {
	mu      sync.Mutex
	epfd    int // the watcher's epoll set, made once
	evfd    int // an eventfd in it (id 0) that wakes the watcher to exit
	initErr error
	made    bool
	roles   map[int32]*readRole // by the id their epoll event carries
	lastID  int32
	running bool
}

// watchInit makes the epoll set and its eventfd, once; under watcher.mu.
func watchInit() error {
	if watcher.made {
		return watcher.initErr
	}
	watcher.made = true
	watcher.roles = make(map[int32]*readRole)
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		watcher.initErr = fmt.Errorf("core: epoll_create1: %w", err)
		return watcher.initErr
	}
	ev, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(ep)
		watcher.initErr = fmt.Errorf("core: eventfd: %w", err)
		return watcher.initErr
	}
	e := unix.EpollEvent{Events: unix.EPOLLIN}
	if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, ev, &e); err != nil {
		unix.Close(ep)
		unix.Close(ev)
		watcher.initErr = fmt.Errorf("core: epoll_ctl: %w", err)
		return watcher.initErr
	}
	watcher.epfd, watcher.evfd = ep, ev
	return nil
}

// watchFD adds r's connection to the watcher's set, for the end of the
// peer's stream or an error; under r.mu.
func watchFD(r *readRole) error {
	watcher.mu.Lock()
	defer watcher.mu.Unlock()
	if err := watchInit(); err != nil {
		return err
	}
	watcher.lastID++
	if watcher.lastID <= 0 {
		watcher.lastID = 1
	}
	id := watcher.lastID
	var addErr error
	// Control holds the descriptor open meanwhile, so that it is ours.
	err := r.raw.Control(func(fd uintptr) {
		e := unix.EpollEvent{Events: unix.EPOLLRDHUP | unix.EPOLLONESHOT, Fd: id}
		addErr = unix.EpollCtl(watcher.epfd, unix.EPOLL_CTL_ADD, int(fd), &e)
	})
	if err == nil {
		err = addErr
	}
	if err != nil {
		return fmt.Errorf("core: watching a connection: %w", err)
	}
	r.watchID = id
	watcher.roles[id] = r
	if !watcher.running {
		watcher.running = true
		go watch()
	}
	return nil
}

// unwatchFD takes r's connection out of the watcher's set, if it is there;
// under r.mu. The watcher exits when its set is empty.
func unwatchFD(r *readRole) {
	if r.watchID == 0 {
		return
	}
	watcher.mu.Lock()
	defer watcher.mu.Unlock()
	delete(watcher.roles, r.watchID)
	r.watchID = 0
	// A closed descriptor has left the set by itself (and Control fails).
	r.raw.Control(func(fd uintptr) {
		unix.EpollCtl(watcher.epfd, unix.EPOLL_CTL_DEL, int(fd), nil)
	})
	if len(watcher.roles) == 0 && watcher.running {
		var one = [8]byte{7: 1}
		unix.Write(watcher.evfd, one[:])
	}
}

// watch is the watcher goroutine.
func watch() {
	events := make([]unix.EpollEvent, 16)
	var gone []*readRole
	for {
		n, err := unix.EpollWait(watcher.epfd, events, -1)
		if err == unix.EINTR {
			continue
		}
		watcher.mu.Lock()
		if err != nil || len(watcher.roles) == 0 {
			// Without a watcher, roles stay with receivers until
			// they give them back; a failing epoll_wait is not
			// expected.
			watcher.running = false
			watcher.mu.Unlock()
			return
		}
		gone = gone[:0]
		for _, e := range events[:n] {
			if e.Fd == 0 {
				var b [8]byte
				unix.Read(watcher.evfd, b[:])
				continue
			}
			if r := watcher.roles[e.Fd]; r != nil {
				gone = append(gone, r)
			}
		}
		watcher.mu.Unlock()
		for i, r := range gone {
			r.stirred()
			gone[i] = nil
		}
	}
}

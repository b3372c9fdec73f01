package core

// WatchedRoles returns how many connections the role watcher watches.
func WatchedRoles() int {
	watcher.mu.Lock()
	defer watcher.mu.Unlock()
	return len(watcher.roles)
}

package server

import (
	"math"
	"sync"
)

// registry tracks every live client connection, and the Mongrel2
// connection ids of those that have talked to a handler.
//
// Ids follow Mongrel2's rules (spec §2.2): allocated lazily from a counter
// that starts at 1 and wraps at 2^32-1, skipping ids still in use, so an id
// is never reused while its connection lives.
type registry struct {
	mu   sync.RWMutex
	all  map[*conn]struct{}
	byID map[uint32]*conn
	next uint32
}

func newRegistry() *registry {
	return &registry{all: make(map[*conn]struct{}), byID: make(map[uint32]*conn), next: 1}
}

func (r *registry) add(c *conn) {
	r.mu.Lock()
	r.all[c] = struct{}{}
	r.mu.Unlock()
}

// remove forgets c and frees its id.
func (r *registry) remove(c *conn) {
	r.mu.Lock()
	delete(r.all, c)
	if id := c.id.Load(); id != 0 && r.byID[id] == c {
		delete(r.byID, id)
	}
	r.mu.Unlock()
}

// assignID gives c an id if it has none yet and returns it. It returns 0
// only if all 2^32-1 ids are taken.
func (r *registry) assignID(c *conn) uint32 {
	if id := c.id.Load(); id != 0 {
		return id
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if id := c.id.Load(); id != 0 {
		return id
	}
	for range len(r.byID) + 1 {
		id := r.next
		if r.next == math.MaxUint32 {
			r.next = 1
		} else {
			r.next++
		}
		if _, taken := r.byID[id]; !taken {
			r.byID[id] = c
			c.id.Store(id)
			return id
		}
	}
	return 0
}

// adopt gives c the id it had in the previous server process. It fails if
// the id is taken.
func (r *registry) adopt(c *conn, id uint32) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, taken := r.byID[id]; taken || id == 0 {
		return false
	}
	r.byID[id] = c
	c.id.Store(id)
	return true
}

// lookup returns the live connection with the given id, or nil.
func (r *registry) lookup(id uint64) *conn {
	if id == 0 || id > math.MaxUint32 {
		return nil
	}
	r.mu.RLock()
	c := r.byID[uint32(id)]
	r.mu.RUnlock()
	return c
}

// snapshot returns the live connections at this moment.
func (r *registry) snapshot() []*conn {
	r.mu.RLock()
	list := make([]*conn, 0, len(r.all))
	for c := range r.all {
		list = append(list, c)
	}
	r.mu.RUnlock()
	return list
}

// count is the number of live connections.
func (r *registry) count() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.all)
}

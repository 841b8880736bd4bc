package ui

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// event is one message of the page's event stream (/api/events, SSE).
type event struct {
	Type string `json:"type"` // "transfer", "prompt", "prompt-done", "notice", "login", "accounts"
	Data any    `json:"data"`
}

// hub fans events out to the connected pages. A slow page loses events
// rather than blocking the sender (the page reloads state when it sees a
// gap: "resync").
type hub struct {
	mu      sync.Mutex
	clients map[chan event]bool
	closed  bool
}

func newHub() *hub { return &hub{clients: map[chan event]bool{}} }

func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}

func (h *hub) send(typ string, data any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		select {
		case c <- event{Type: typ, Data: data}:
		default:
			// The page is behind: tell it to reload state instead.
			select {
			case c <- event{Type: "resync"}:
			default:
			}
		}
	}
}

func (h *hub) subscribe() (chan event, func()) {
	c := make(chan event, 256)
	h.mu.Lock()
	if h.closed {
		close(c)
	} else {
		h.clients[c] = true
	}
	h.mu.Unlock()
	return c, func() {
		h.mu.Lock()
		if h.clients[c] {
			delete(h.clients, c)
			close(c)
		}
		h.mu.Unlock()
	}
}

func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for c := range h.clients {
		delete(h.clients, c)
		close(c)
	}
}

// handleEvents streams events to the page as server-sent events.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		writeErrorMsg(w, http.StatusInternalServerError, "streaming unsupported", "")
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	c, unsubscribe := s.hub.subscribe()
	defer unsubscribe()
	write := func(ev event) bool {
		b, err := json.Marshal(ev)
		if err != nil {
			return true
		}
		if _, err := w.Write(append(append([]byte("data: "), b...), '\n', '\n')); err != nil {
			return false
		}
		return true
	}
	// The state as it is now, then the changes.
	for _, ev := range s.stateEvents() {
		if !write(ev) {
			return
		}
	}
	fl.Flush()
	ping := time.NewTicker(20 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-ping.C:
			if _, err := w.Write([]byte(": ping\n\n")); err != nil {
				return
			}
			fl.Flush()
		case ev, ok := <-c:
			if !ok {
				return
			}
			if !write(ev) {
				return
			}
			// Send what else is queued in the same write.
			for n := len(c); n > 0; n-- {
				if !write(<-c) {
					return
				}
			}
			fl.Flush()
		}
	}
}

// stateEvents describe the current state to a page that connects.
func (s *Server) stateEvents() []event {
	var out []event
	for _, p := range s.prompter.pending() {
		out = append(out, event{Type: "prompt", Data: p})
	}
	for _, t := range s.queue.list() {
		out = append(out, event{Type: "transfer", Data: t})
	}
	return out
}

package mailstack

import (
	"net"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// startChild starts cmd as our child and reaps it; the channel closes
// when it exits.
func startChild(cmd *exec.Cmd) (<-chan struct{}, error) {
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	return exited, nil
}

// stopMaster sends signals to a server's master process in turn (0: only
// wait, for a stop already requested), each given stopTimeout, until it
// exits; then it waits until addr stops accepting, so tests see a real
// outage and a restart can bind the port again.
func stopMaster(t testing.TB, name string, cmd *exec.Cmd, exited <-chan struct{}, signals []syscall.Signal, addr string) {
	stopped := false
	for i, sig := range signals {
		if i > 0 {
			t.Logf("mailstack: %s master %d still running; sending %v", name, cmd.Process.Pid, sig)
		}
		if sig != 0 {
			cmd.Process.Signal(sig)
		}
		tm := time.NewTimer(stopTimeout)
		select {
		case <-exited:
			stopped = true
		case <-tm.C:
		}
		tm.Stop()
		if stopped {
			break
		}
	}
	if !stopped {
		t.Errorf("mailstack: %s master %d survived SIGKILL", name, cmd.Process.Pid)
		return
	}
	deadline := time.Now().Add(stopTimeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Logf("mailstack: %s still accepting after %s stopped", addr, name)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

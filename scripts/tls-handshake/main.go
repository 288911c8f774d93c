// tls-handshake measures what a TLS handshake costs a server: the client
// mode opens and closes N connections from C goroutines (a handshake each,
// as govmomi does once per login and per new connection); the server mode
// is crypto/tls, the stack vcsim serves with, for comparison against the
// simulator's node listener on the same certificate and protocol version.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	server := flag.Bool("server", false, "serve instead of connecting")
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on or connect to")
	cert := flag.String("cert", "", "server certificate (PEM)")
	key := flag.String("key", "", "server key (PEM)")
	n := flag.Int("n", 2000, "handshakes")
	c := flag.Int("c", 8, "concurrent clients")
	flag.Parse()
	if *server {
		pair, err := tls.LoadX509KeyPair(*cert, *key)
		if err != nil {
			fail(err)
		}
		// the simulator's ESXi 6.0 listener: TLS 1.2, no session tickets
		l, err := tls.Listen("tcp", *addr, &tls.Config{Certificates: []tls.Certificate{pair}, MaxVersion: tls.VersionTLS12, SessionTicketsDisabled: true})
		if err != nil {
			fail(err)
		}
		fmt.Println(l.Addr().String())
		for {
			conn, err := l.Accept()
			if err != nil {
				continue
			}
			go func(conn net.Conn) {
				_, _ = io.Copy(io.Discard, conn)
				conn.Close()
			}(conn)
		}
	}
	var wg sync.WaitGroup
	var errs atomic.Int64
	next := make(chan struct{})
	start := time.Now()
	for w := 0; w < *c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range next {
				conn, err := tls.Dial("tcp", *addr, &tls.Config{InsecureSkipVerify: true})
				if err != nil {
					errs.Add(1)
					continue
				}
				conn.Close()
			}
		}()
	}
	for i := 0; i < *n; i++ {
		next <- struct{}{}
	}
	close(next)
	wg.Wait()
	fmt.Printf("%d %.3f %d\n", *n, time.Since(start).Seconds(), errs.Load())
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "tls-handshake:", err)
	os.Exit(1)
}

// Command pledged is the PledgeSeal server. Configuration comes from flags
// and PLEDGESEAL_* environment variables (pledged -h lists them); it stops
// gracefully on SIGINT or SIGTERM and reads its TLS certificate again on
// SIGHUP.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/pledgeseal/pledgeseal/internal/app"
	"github.com/pledgeseal/pledgeseal/internal/clock"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	code := app.Main(ctx, app.Env{
		Args: os.Args[1:], Environ: os.Environ(), Getenv: os.Getenv,
		Stdout: os.Stdout, Stderr: os.Stderr, Clock: clock.Real{}, Reload: hup,
	})
	signal.Stop(hup)
	stop()
	os.Exit(code)
}

package store

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"
)

// driverLog routes go-redis's own messages (connection pool retries) into
// the service's structured log at debug level; the service already reports
// every failed call as an Unavailable error where it matters.
type driverLog struct{ log *slog.Logger }

func (d driverLog) Printf(ctx context.Context, format string, v ...any) {
	d.log.DebugContext(ctx, "redis driver", "msg", fmt.Sprintf(format, v...))
}

// RouteDriverLogs sends go-redis's process-wide logger to l. The driver's
// logger is a process global of go-redis, so only a program's main (via
// app.Main) calls this, once.
func RouteDriverLogs(l *slog.Logger) { redis.SetLogger(driverLog{log: l}) }

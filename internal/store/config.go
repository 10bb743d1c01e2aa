package store

import "github.com/pledgeseal/pledgeseal/internal/config"

// OptionsFrom is how to reach Redis as the configuration says: the one
// translation from the settings pledged and every pledgectl command read
// (addresses, Sentinel, Cluster, ACL user, password, DB, prefix, timeout,
// TLS) to store options.
func OptionsFrom(c config.Config) Options {
	return Options{
		Addrs: c.RedisAddrs, MasterName: c.RedisMasterName, Cluster: c.RedisCluster,
		Username: c.RedisUsername, Password: c.RedisPassword, DB: c.RedisDB,
		Prefix: c.RedisPrefix, Timeout: c.RedisTimeout, TLS: c.RedisTLS,
	}
}

// Package docker holds no code: the directory carries the Dockerfile of
// esbench and a compose file with a 3-node Cassandra cluster, and this
// package's test checks that both parse and fit together.
package docker

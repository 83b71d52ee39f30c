module github.com/esbench/esbench

go 1.26.8

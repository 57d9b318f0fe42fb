module mlpipe.local/cluster/egress-proxy

go 1.26.0

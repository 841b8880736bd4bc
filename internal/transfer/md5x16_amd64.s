// block16 (md5x16_amd64.go) is md5-simd's assembly, reached by
// go:linkname; a package with body-less function declarations needs an
// assembly file, and this is it.

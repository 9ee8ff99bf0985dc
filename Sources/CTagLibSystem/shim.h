// Carries TagLib's pkg-config flags (Debian: libtag1-dev) to the C++ shim; Swift never imports it.

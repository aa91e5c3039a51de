# Shared plumbing for the benchmark scripts (source it: `. "$(dirname "$0")/lib.sh"`).

# release_bin NAME: build the release binary NAME (pgpubsub, or an example) and print its path.
# Cargo is asked where it put it, so CARGO_TARGET_DIR, .cargo/config and the like are honoured
# instead of assuming ./target/release.
release_bin() {
    local kind=--example
    [ "$1" = pgpubsub ] && kind=--bin
    cargo build --release --quiet "$kind" "$1" --message-format=json |
        sed -n 's/.*"executable":"\([^"]*\/'"$1"'\)".*/\1/p' | tail -n 1
}

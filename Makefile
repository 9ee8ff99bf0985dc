# Two commands for a fresh Debian 12 machine with the Swift 6.3 toolchain:
#   make run    install what the server needs, build in release mode, run `cadenza serve`
#   make test   install what the tests need, run the whole suite on SQLite and PostgreSQL
.PHONY: run test build release bench clean format lint fuzz

ARGS ?=

run: release
	.build/release/cadenza serve $(ARGS)

release:
	scripts/install-deps.sh run
	swift build -c release --product cadenza

build:
	swift build

test:
	scripts/install-deps.sh test
	scripts/test.sh

bench: release
	scripts/install-deps.sh bench
	bench/run.sh

# Coverage-guided fuzzing of the parsers; SECONDS=3600 make fuzz for a long run.
fuzz:
	scripts/fuzz.sh $(or $(SECONDS),600)

# swift-format ships with the Swift toolchain; .swift-format holds the style.
format:
	swift format -i -r --configuration .swift-format Sources Tests Fuzz/Sources

lint:
	swift format lint -r --strict --configuration .swift-format Sources Tests Fuzz/Sources

clean:
	rm -rf .build .venv

#!/bin/sh
# The image's `careloop`: the built CLI, without the checkout's install-and-build step (the image is built).
exec node --enable-source-maps /app/dist/cli/main.js "$@"

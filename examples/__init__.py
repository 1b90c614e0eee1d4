"""Small buggy libraries with failing tests, shipped for `kog-agent demo` and the fix-rate benchmark."""

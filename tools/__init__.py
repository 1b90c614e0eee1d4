"""Repository tools of kog-agent: files, code map, test runner and git guard. Imports nothing of ours."""

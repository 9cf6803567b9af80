# syntax=docker/dockerfile:1
FROM alpine:3.19
RUN <<'EOF'
echo '$HOME stays literal'
FROM evil:1
EOF
RUN <<-'TABS'
	echo chomped and quoted
	TABS

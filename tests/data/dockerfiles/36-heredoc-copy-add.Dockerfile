# syntax=docker/dockerfile:1
FROM nginx:1.25-alpine
COPY <<EOF /etc/nginx/conf.d/default.conf
server {
    listen 80;
    location / { return 200 "ok\n"; }
}
EOF
ADD <<EOF /usr/share/nginx/html/index.html
<h1>FROM evil:1</h1>
EOF
COPY --chmod=0755 <<'EOF' /usr/local/bin/entry
#!/bin/sh
exec nginx -g 'daemon off;'
EOF
add <<X /x
x
X

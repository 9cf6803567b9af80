# syntax=docker/dockerfile:1
FROM alpine:3.19
RUN <<"E O F"
echo spaces in a quoted name
E O F
RUN <<EOT_1 && <<"end-2"
one
EOT_1
two
end-2
RUN <<-'x' sh
	echo chomp quoted lower-case
	x
RUN <<"$HOME"
literal dollar name
$HOME

# syntax=docker/dockerfile:1
FROM alpine:3.19
RUN <<-EOF
	echo tab-indented body
		echo double tab
    echo spaces are not stripped
	EOF
RUN <<-END sh
			echo x
			END

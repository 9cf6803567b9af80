   # indented comment
	FROM alpine:3.19 AS base
  RUN echo indented
		RUN echo \
		  tab-indented
    FROM base
 	COPY --from=base /etc/hostname /tmp/h

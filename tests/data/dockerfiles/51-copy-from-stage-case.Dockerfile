FROM alpine:3.19 AS Builder
RUN echo x > /x
FROM alpine:3.19 AS other-stage.v2_x
COPY --from=builder /x /x
COPY --from=BUILDER /x /y
copy --from=other-stage.v2_x /x /z

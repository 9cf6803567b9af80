FROM alpine:3.19
RUN echo "<<EOF"
RUN echo '<<EOF'
RUN echo \<<EOF
RUN echo x<<-EOF
RUN echo "<<EOF" '<<X' done
RUN echo <<<"here-string" || true
CMD ["sh"]

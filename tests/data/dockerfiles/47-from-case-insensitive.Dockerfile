from golang:1.22 as build
From alpine:3.19 As mid
fRoM mid aS Final
copy --from=build /usr/local/go/VERSION /VERSION
Copy --from=mid /etc/alpine-release /alpine-release
run echo done

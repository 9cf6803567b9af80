# check=skip=all
# escape=`
FROM mcr.microsoft.com/windows/nanoserver:ltsc2022 `
    AS base
COPY app.exe C:\app\
RUN echo one `
    two
FROM base
CMD ["C:\\app\\app.exe"]

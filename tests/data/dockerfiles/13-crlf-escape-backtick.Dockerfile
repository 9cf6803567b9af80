# escape=`
FROM mcr.microsoft.com/windows/servercore:ltsc2022
RUN dir C:\ `
    && echo continued
COPY a.txt C:\
RUN echo last

# escape=`

FROM mcr.microsoft.com/windows/servercore:ltsc2022
SHELL ["powershell", "-Command", "$ErrorActionPreference = 'Stop';"]
COPY testfile.txt c:\
RUN dir c:\
RUN New-Item -ItemType Directory -Path C:\app `
    -Force
WORKDIR C:\app
RUN Write-Host `
    'continued with a backtick'
CMD ["powershell"]

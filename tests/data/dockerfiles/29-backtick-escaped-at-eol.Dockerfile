# escape=`
FROM mcr.microsoft.com/windows/servercore:ltsc2022
RUN echo escaped-backtick-is-not-continuation ``
RUN echo next `
    continued
RUN echo a\

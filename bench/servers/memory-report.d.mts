export function memoryReportLine(clients: number): string;
